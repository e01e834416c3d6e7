import { failoverTest } from './failover.js';
import { describeStoreBehaviour } from './store-behaviour.js';
import { sentinelKind } from './stores.js';

const kind = sentinelKind();

// One topology for the file: the behaviour suite, then (last) the failover that kills its master.
describeStoreBehaviour(kind, () => failoverTest(() => kind.topology()));
