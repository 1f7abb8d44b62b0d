CREATE TABLE "scan_host_facts" (
	"node_name" text PRIMARY KEY NOT NULL,
	"collected_at" timestamp with time zone NOT NULL,
	"received_at" timestamp with time zone NOT NULL,
	"facts" jsonb NOT NULL
);
