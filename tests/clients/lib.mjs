// What every client script shares: its options, a deadline, failing loudly, and a WebSocket
// that behaves like a browser's. Nothing here speaks GraphQL: each script uses its client.
import WebSocket from 'ws';

/** Options from `--name value` / `--name=value`, else the environment (BOOKWELL_NAME). */
export function options(spec) {
  const given = {};
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const match = /^--([a-z-]+)(?:=(.*))?$/s.exec(argv[i]);
    if (!match) fail(`unexpected argument ${JSON.stringify(argv[i])}`);
    given[match[1]] = match[2] ?? argv[++i];
  }
  const out = {};
  for (const [name, fallback] of Object.entries(spec)) {
    const env = `BOOKWELL_${name.toUpperCase().replaceAll('-', '_')}`;
    const value = given[name] ?? process.env[env] ?? fallback;
    if (value === undefined) fail(`missing --${name} (or ${env})`);
    out[name] = value;
  }
  const unknown = Object.keys(given).filter((name) => !(name in spec));
  if (unknown.length) fail(`unknown option(s): ${unknown.map((n) => `--${n}`).join(', ')}`);
  return out;
}

export function fail(message) {
  console.error(`FAIL: ${message}`);
  process.exit(1);
}

export function check(condition, message, detail) {
  if (!condition) fail(detail === undefined ? message : `${message}: ${show(detail)}`);
}

export function show(value) {
  return JSON.stringify(value, null, 1)?.replace(/\n\s*/g, ' ');
}

/** Ends the process with a failure if it is still running after `seconds`. */
export function deadline(seconds, what) {
  const timer = setTimeout(() => fail(`${what}: not done within ${seconds} s`), seconds * 1000);
  timer.unref();
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** `promise`, or undefined once `ms` have passed. */
export function within(ms, promise) {
  let timer;
  const late = new Promise((resolve) => {
    timer = setTimeout(resolve, ms, undefined);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** ws://host/graphql for http://host/graphql. */
export function websocketUrl(httpUrl) {
  const url = new URL(httpUrl);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.href;
}

export const frames = { text: 0, binary: 0 };

/**
 * ws as a browser's WebSocket behaves: a binary frame arrives as a Blob, which no GraphQL
 * client parses (Node's Buffer would JSON.parse by accident and hide the fault). Counts the
 * frames of each kind, so a script can say which it got.
 */
export class BrowserLikeWebSocket extends WebSocket {
  constructor(...args) {
    super(...args);
    this.binaryType = 'blob';
    this.on('message', (_data, isBinary) => {
      frames[isBinary ? 'binary' : 'text'] += 1;
      if (isBinary) {
        console.error('the server sent a binary websocket frame: browsers hand it over as a Blob');
      }
    });
  }
}

/** A fresh idempotency key, as a client makes one per booking attempt. */
export function idempotencyKey(label) {
  return `${label}-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
}

/** The day `offset` days after `isoDate`. */
export function addDays(isoDate, offset) {
  const day = new Date(`${isoDate}T00:00:00Z`);
  day.setUTCDate(day.getUTCDate() + offset);
  return day.toISOString().slice(0, 10);
}

/** Values pushed by a callback, taken in order by whoever awaits them. */
export class Inbox {
  #values = [];
  #waiting = [];

  push(value) {
    const waiter = this.#waiting.shift();
    if (waiter) waiter(value);
    else this.#values.push(value);
  }

  /** The next value, or undefined after `ms`. */
  next(ms) {
    if (this.#values.length) return Promise.resolve(this.#values.shift());
    let resolver;
    const arrival = new Promise((resolve) => {
      resolver = resolve;
      this.#waiting.push(resolve);
    });
    return within(ms, arrival).finally(() => {
      const at = this.#waiting.indexOf(resolver);
      if (at >= 0) this.#waiting.splice(at, 1);
    });
  }
}

/**
 * Books with `book()` until `inbox` hears of it. The protocol has no "subscribed" answer, so
 * a booking made before the server has set the subscription up is missed; a later one is
 * heard. Waits longer after each booking. Returns the value heard and how many bookings were
 * made (an earlier booking's late event may be the one heard: checkHeard allows for it).
 */
export async function bookUntilHeard(book, inbox, waitsMs = [1_000, 2_000, 4_000, 8_000, 8_000]) {
  for (const [index, waitMs] of waitsMs.entries()) {
    const made = index + 1;
    await book(made);
    const value = await inbox.next(waitMs);
    if (value !== undefined) return { value, made };
    console.log(`booking ${made} not heard within ${waitMs} ms`);
  }
  fail(`the subscription heard none of ${waitsMs.length} bookings`);
}

/** What a window's availability must be after `made` bookings of one unit each. */
export function checkHeard(value, { start, end, before, made }) {
  check(value && typeof value === 'object', 'no availability in the event', value);
  const inWindow = value.startDate === start && value.endDate === end;
  check(inWindow, `not the window ${start}..${end}`, value);
  // The value heard is the one after some booking: the last, unless an earlier one's event
  // came later than the wait (then it shows fewer bookings).
  const low = before - made;
  check(
    Number.isInteger(value.freeUnits) && value.freeUnits >= low && value.freeUnits <= before - 1,
    `freeUnits should be ${low === before - 1 ? low : `${low}..${before - 1}`} (was ${before})`,
    value,
  );
  check(value.available === value.freeUnits >= 1, 'available disagrees with freeUnits', value);
}
