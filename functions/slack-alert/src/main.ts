// The container's command: `node functions/slack-alert/dist/main.js`.
import { serve } from '@veba-functions/runtime';
import { createSlackAlert } from './index.js';

await serve(createSlackAlert());
