import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

describe('configuration checks', () => {
  it('refuses an empty host, which would listen on every interface', () => {
    // An empty variable is unset (the default, 127.0.0.1); an empty --host was passed on.
    expect(loadConfig({ CENTINELA_HOST: ' ' }).host).toBe('127.0.0.1');
    expect(() => loadConfig({}, { host: '' })).toThrow('CENTINELA_HOST (--host) must not be empty');
    expect(loadConfig({ CENTINELA_HOST: '0.0.0.0' }).host).toBe('0.0.0.0');
  });

  it('refuses a store URL of another scheme instead of opening a SQLite file named after it', () => {
    for (const url of ['mysql://u:secret@db/x', 'Postgres://u:secret@db/x']) {
      expect(() => loadConfig({ CENTINELA_DATABASE_URL: url }), url).toThrow(
        /starts with '\w+:\/\/': give a SQLite file path/,
      );
      expect(() => loadConfig({ CENTINELA_DATABASE_URL: url })).not.toThrow(/secret/);
    }
    for (const url of [
      'postgres://db/x',
      'postgresql://db/x',
      'file:///tmp/c.db',
      './data/c.db',
      'sqlite:c.db',
    ])
      expect(loadConfig({ CENTINELA_DATABASE_URL: url }).databaseUrl).toBe(url);
  });

  it('refuses an admin key shorter than 24 characters, without printing it', () => {
    const short = 'short-admin-key-0123456'; // 23 characters
    expect(() => loadConfig({ CENTINELA_ADMIN_KEY: 'x' })).toThrow(
      'CENTINELA_ADMIN_KEY must be at least 24 characters (it has 1)',
    );
    expect(() => loadConfig({}, { adminKey: short })).toThrow(
      expect.objectContaining({
        code: 'CONFIG_INVALID',
        message: expect.stringContaining('CENTINELA_ADMIN_KEY must be at least 24 characters (it has 23)'),
      }),
    );
    expect(() => loadConfig({ CENTINELA_ADMIN_KEY: short })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining(short) }),
    );
    const key = `${short}4`;
    expect(loadConfig({ CENTINELA_ADMIN_KEY: ` ${key} ` }).adminKey).toBe(key);
    expect(loadConfig({ CENTINELA_ADMIN_KEY: '' }).adminKey).toBeUndefined(); // unset: the first start makes a key
  });
});
