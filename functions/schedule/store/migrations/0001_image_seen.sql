CREATE TABLE "schedule_image_seen" (
	"digest" text PRIMARY KEY NOT NULL,
	"last_seen" timestamp with time zone NOT NULL
);
