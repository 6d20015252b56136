// The GraphQL-over-HTTP conformance audits of graphql-http (serverAudits) against a live
// server. Prints every result; fails unless every MUST and every SHOULD audit is ok (a MAY
// that is not taken is printed as a notice and is no failure).
//
//   node audit.mjs --url http://127.0.0.1:8000/graphql
import { serverAudits } from 'graphql-http';
import { deadline, fail, options } from './lib.mjs';

const { url } = options({ url: undefined });
deadline(120, 'the audits');

const failed = [];
let count = 0;
for (const { id, name, fn } of serverAudits({ url })) {
  let result;
  try {
    result = await fn();
  } catch (error) {
    // graphql-http throws (rather than reports) what it cannot even audit, such as a
    // connection refused or a body that is not JSON where JSON is required.
    result = { id, name, status: 'error', reason: `the audit itself failed: ${error}` };
  }
  count += 1;
  const level = name.split(' ')[0];
  console.log(`${result.status.padEnd(6)} ${id} ${name}`);
  if (result.status !== 'ok') {
    console.log(`       ${result.reason}`);
    if (level === 'MUST' || level === 'SHOULD') failed.push(result);
  }
}

if (count === 0) fail('graphql-http returned no audits');
if (failed.length) {
  fail(
    `${failed.length} of ${count} audits (MUST or SHOULD) did not pass:\n` +
      failed.map((r) => `  ${r.id} ${r.name}: ${r.reason}`).join('\n'),
  );
}
console.log(`all ${count} audits ran; every MUST and SHOULD audit is ok`);
