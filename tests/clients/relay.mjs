// relay-compiler over the documents of relay-app/ (written as a Relay SPA writes them), against
// the committed SDL (relay.config.json: ../../schema.graphql) or, with --url, against the SDL
// of a live server's introspection. Artifacts go to a temporary folder, never the tree.
// Fails on any compiler error.
//
//   node relay.mjs                                  # the committed schema.graphql
//   node relay.mjs --url http://127.0.0.1:8000/graphql
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildClientSchema, getIntrospectionQuery, printSchema } from 'graphql';
import { check, deadline, fail, options } from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const { url } = options({ url: '' });
deadline(170, 'relay-compiler'); // within the pytest wrapper's 180 s

const config = JSON.parse(readFileSync(join(here, 'relay.config.json'), 'utf8'));
const work = mkdtempSync(join(tmpdir(), 'bookwell-relay-'));
try {
  let schema = resolve(here, config.schema);
  if (url) {
    schema = join(work, 'served.graphql');
    writeFileSync(schema, await servedSdl(url));
    console.log(`schema: introspected from ${url}`);
  } else {
    console.log(`schema: ${schema}`);
  }
  const artifacts = join(work, '__generated__');
  mkdirSync(artifacts);
  const compileConfig = join(work, 'relay.config.json');
  // The project's config with absolute paths and a throwaway artifact folder.
  writeFileSync(
    compileConfig,
    JSON.stringify({
      ...config,
      src: resolve(here, config.src),
      schema,
      artifactDirectory: artifacts,
    }),
  );
  const run = spawnSync(
    process.execPath,
    [join(here, 'node_modules', 'relay-compiler', 'cli.js'), compileConfig],
    { cwd: work, encoding: 'utf8', timeout: 150_000 },
  );
  const output = `${run.stdout ?? ''}${run.stderr ?? ''}`.replace(/\x1b\[[0-9;]*m/g, '');
  console.log(output.trimEnd());
  if (run.error) fail(`relay-compiler did not run: ${run.error.message}`);
  const failed = run.status !== 0 || /\[ERROR\]/.test(output);
  check(!failed, `relay-compiler failed (exit ${run.status})`);
  console.log('relay-compiler: every document compiles');
} finally {
  rmSync(work, { recursive: true, force: true });
}

async function servedSdl(endpoint) {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
    },
    body: JSON.stringify({ query: getIntrospectionQuery() }),
  });
  const body = await response.json().catch(() => null);
  check(response.ok && body?.data, `introspection answered ${response.status}`, body);
  return printSchema(buildClientSchema(body.data));
}
