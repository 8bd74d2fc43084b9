// The servers the distributed-study tests need, found by URL in the environment
// (.ci/run and scripts/cluster-local.sh set them). Without them those tests skip,
// saying why; they are never faked.
import pg from 'pg';

export const PG_URL = process.env.SPARSE_RNN_PG_URL;
export const REDIS_URL = process.env.SPARSE_RNN_REDIS_URL;

export const needPg = PG_URL ? false : 'SPARSE_RNN_PG_URL is not set (start PostgreSQL: eval "$(scripts/cluster-local.sh services DIR)")';
export const needPgRedis = PG_URL && REDIS_URL ? false
  : 'SPARSE_RNN_PG_URL and SPARSE_RNN_REDIS_URL must be set (start the services: eval "$(scripts/cluster-local.sh services DIR)")';

/** A new, empty database on the test server; drop() removes it. */
export async function freshDatabase(tag: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `srnn_${tag}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const u = new URL(PG_URL!);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

/** A queue name no other test uses. */
export function freshQueue(tag: string): string {
  return `srnn-test-${tag}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}
