import { describeStoreBehaviour } from './store-behaviour.js';
import { redisKind } from './stores.js';

describeStoreBehaviour(redisKind());
