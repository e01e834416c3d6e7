// The container's command: `node functions/__FUNCTION_NAME__/dist/main.js`.
import { serve } from '@veba-functions/runtime';
import { create__FUNCTION_PASCAL__ } from './index.js';

await serve(create__FUNCTION_PASCAL__());
