// The container's command: `node functions/vm-owner-tag/dist/main.js`.
import { serve } from '@veba-functions/runtime';
import { createVmOwnerTag } from './index.js';

await serve(createVmOwnerTag());
