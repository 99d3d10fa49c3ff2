"""The whole product as deployed: installs, cron and daemon, hostile sites, the cluster on Redis, crashes, browsers."""
