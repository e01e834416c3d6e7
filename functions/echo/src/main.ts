// The container's command: `node functions/echo/dist/main.js`.
import { serve } from '@veba-functions/runtime';
import { createEcho } from './index.js';

await serve(createEcho());
