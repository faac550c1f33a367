/**
 * The same race on SQLite: two app instances, each with its own connection to
 * one database file, and the table's primary key as the only arbiter.
 * Run it with `npm run demo:sqlite`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createUsernameAvailability } from '../src/index.js';
import { sqliteStore } from '../src/adapters/sqlite.js';

const dir = mkdtempSync(join(tmpdir(), 'username-availability-'));
const file = join(dir, 'app.db');
const connections = [new Database(file), new Database(file)];
for (const db of connections) db.pragma('journal_mode = WAL');

const stores = connections.map((db) => sqliteStore({ db }));
await stores[0]!.ensureSchema();
const [a, b] = stores.map((store) => createUsernameAvailability({ store }));

await a!.checkThenCreate('alice', undefined);
console.log('warm():', await a!.warm(), await b!.warm());
console.log("check('Alice'):", await b!.check('Alice'));
console.log("check('carol'):", await b!.check('carol'));

const results = await Promise.all([a!.checkThenCreate('Carol', undefined), b!.checkThenCreate('CAROL', undefined)]);
console.log('two creates of carol:', results);
console.log('rows in the table:', connections[0]!.prepare('SELECT username FROM usernames ORDER BY 1').pluck().all());
console.log('stats of b:', b!.stats());

await a!.close();
await b!.close();
for (const db of connections) db.close();
rmSync(dir, { recursive: true, force: true });
