// The container's command: `node functions/email-alert/dist/main.js`.
import { serve } from '@veba-functions/runtime';
import { createEmailAlert } from './index.js';

await serve(createEmailAlert());
