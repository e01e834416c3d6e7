// The container's command: `node functions/teams-alert/dist/main.js`.
import { serve } from '@veba-functions/runtime';
import { createTeamsAlert } from './index.js';

await serve(createTeamsAlert());
