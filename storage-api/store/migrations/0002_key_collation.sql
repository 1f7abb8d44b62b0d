-- Keys compare byte-wise (COLLATE "C"), as etcd orders keys in kube-apiserver: list order and
-- continue tokens then do not depend on the server's locale (PGlite and a Debian PostgreSQL would
-- otherwise disagree), and comparisons are cheaper than locale-aware ones.
ALTER TABLE storage_objects ALTER COLUMN namespace TYPE text COLLATE "C", ALTER COLUMN name TYPE text COLLATE "C";
--> statement-breakpoint
ALTER TABLE storage_events ALTER COLUMN namespace TYPE text COLLATE "C", ALTER COLUMN name TYPE text COLLATE "C";
