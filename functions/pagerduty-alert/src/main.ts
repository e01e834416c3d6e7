// The container's command: `node functions/pagerduty-alert/dist/main.js`.
import { serve } from '@veba-functions/runtime';
import { createPagerDutyAlert } from './index.js';

await serve(createPagerDutyAlert());
