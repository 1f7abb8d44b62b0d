CREATE TABLE "schedule_images" (
	"digest" text PRIMARY KEY NOT NULL,
	"requested_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "schedule_pending" (
	"key" text PRIMARY KEY NOT NULL,
	"job" text NOT NULL,
	"ref" jsonb NOT NULL,
	"first_seen" timestamp with time zone NOT NULL,
	"due_at" timestamp with time zone NOT NULL,
	"updates" integer DEFAULT 1 NOT NULL
);
--> statement-breakpoint
CREATE INDEX "schedule_pending_due_idx" ON "schedule_pending" USING btree ("due_at");