import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    sqlite: 'src/adapters/sqlite.ts',
    postgres: 'src/adapters/postgres.ts',
    mysql: 'src/adapters/mysql.ts',
    redis: 'src/adapters/redis.ts',
    testing: 'src/testing/index.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  splitting: true,
  treeshake: true,
});
