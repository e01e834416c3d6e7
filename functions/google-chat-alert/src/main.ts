// The container's command: `node functions/google-chat-alert/dist/main.js`.
import { serve } from '@veba-functions/runtime';
import { createGoogleChatAlert } from './index.js';

await serve(createGoogleChatAlert());
