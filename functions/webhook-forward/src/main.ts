// The container's command: `node functions/webhook-forward/dist/main.js`.
import { serve } from '@veba-functions/runtime';
import { createWebhookForward } from './index.js';

await serve(createWebhookForward());
