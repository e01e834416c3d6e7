// The container's command: `node functions/vm-tag-on-power-on/dist/main.js`.
import { serve } from '@veba-functions/runtime';
import { createVmTagOnPowerOn } from './index.js';

await serve(createVmTagOnPowerOn());
