CREATE TABLE "storage_events" (
	"seq" bigint PRIMARY KEY NOT NULL,
	"resource" text NOT NULL,
	"namespace" text NOT NULL,
	"name" text NOT NULL,
	"type" text NOT NULL,
	"uid" text NOT NULL,
	"metadata" jsonb NOT NULL,
	"labels" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"prev_labels" jsonb,
	"body" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "storage_objects" (
	"resource" text NOT NULL,
	"namespace" text NOT NULL,
	"name" text NOT NULL,
	"uid" text NOT NULL,
	"resource_version" bigint NOT NULL,
	"labels" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"metadata" jsonb NOT NULL,
	"body" text NOT NULL,
	CONSTRAINT "storage_objects_pkey" PRIMARY KEY("resource","namespace","name")
);
--> statement-breakpoint
CREATE TABLE "storage_state" (
	"key" text PRIMARY KEY NOT NULL,
	"value" bigint NOT NULL
);
--> statement-breakpoint
CREATE INDEX "storage_events_key_seq" ON "storage_events" USING btree ("resource","namespace","name","seq");--> statement-breakpoint
CREATE INDEX "storage_objects_labels_gin" ON "storage_objects" USING gin ("labels");