/** Writes docs/reference/errors.md from the error catalog. */
import { writeFileSync } from 'node:fs';
import { renderErrorReference } from '../src/core/errors-doc.js';

writeFileSync(new URL('../docs/reference/errors.md', import.meta.url), renderErrorReference());
console.log('wrote docs/reference/errors.md');
