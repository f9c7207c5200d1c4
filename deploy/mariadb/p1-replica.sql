-- Runs once, when p1-b's data directory is first made (docker-entrypoint-initdb.d): it follows
-- p1-a by GTID and stays read-only (--read-only), so Atrium finds the pod's primary as the one
-- node with @@read_only = 0.
CHANGE MASTER TO MASTER_HOST='p1-a', MASTER_USER='root', MASTER_PASSWORD='atrium',
  MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=2;
START SLAVE;
