import { describeStoreBehaviour } from './store-behaviour.js';
import { memoryKind } from './stores.js';

describeStoreBehaviour(memoryKind());
