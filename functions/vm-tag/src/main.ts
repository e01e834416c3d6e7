// The container's command: `node functions/vm-tag/dist/main.js`.
import { serve } from '@veba-functions/runtime';
import { createVmTag } from './index.js';

await serve(createVmTag());
