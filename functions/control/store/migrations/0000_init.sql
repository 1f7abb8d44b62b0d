CREATE TABLE "control_commands" (
	"id" text PRIMARY KEY NOT NULL,
	"received_at" timestamp with time zone NOT NULL,
	"command" text,
	"params" jsonb,
	"status" text NOT NULL,
	"reason" text,
	"emitted_event_ids" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"webhook_id" text,
	"via" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "control_replay" (
	"webhook_id" text PRIMARY KEY NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "control_commands_received_idx" ON "control_commands" USING btree ("received_at");--> statement-breakpoint
CREATE INDEX "control_replay_expires_idx" ON "control_replay" USING btree ("expires_at");