CREATE TABLE "vulndb_advisories" (
	"generation" bigint NOT NULL,
	"id" text NOT NULL,
	"modified" timestamp with time zone NOT NULL,
	"published" timestamp with time zone,
	"withdrawn" timestamp with time zone,
	"summary" text,
	"aliases" text[] NOT NULL,
	"raw" jsonb NOT NULL,
	CONSTRAINT "vulndb_advisories_generation_id_pk" PRIMARY KEY("generation","id")
);
--> statement-breakpoint
CREATE TABLE "vulndb_affected" (
	"generation" bigint NOT NULL,
	"advisory_id" text NOT NULL,
	"ecosystem" text NOT NULL,
	"name" text NOT NULL,
	"ranges" jsonb NOT NULL,
	"versions" text[] NOT NULL,
	"severity" text NOT NULL,
	"score" real,
	"vector" text,
	"fix_hint" text
);
--> statement-breakpoint
CREATE TABLE "vulndb_generations" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"state" text NOT NULL,
	"mode" text NOT NULL,
	"base_generation" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"completed_at" timestamp with time zone,
	"content_hash" text,
	"sources" jsonb,
	"record_count" integer
);
--> statement-breakpoint
CREATE TABLE "vulndb_meta" (
	"id" smallint PRIMARY KEY NOT NULL,
	"current_generation" bigint,
	"content_hash" text,
	"built_at" timestamp with time zone
);
--> statement-breakpoint
CREATE INDEX "vulndb_affected_lookup_idx" ON "vulndb_affected" USING btree ("generation","ecosystem","name");--> statement-breakpoint
CREATE INDEX "vulndb_affected_advisory_idx" ON "vulndb_affected" USING btree ("generation","advisory_id");