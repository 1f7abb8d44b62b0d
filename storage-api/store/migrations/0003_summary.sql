ALTER TABLE "storage_events" ADD COLUMN "summary" jsonb;--> statement-breakpoint
ALTER TABLE "storage_objects" ADD COLUMN "summary" jsonb;
--> statement-breakpoint
-- storage_write gains p_summary (the engine's per-object summary, stored as jsonb next to metadata
-- and copied into the log). A new signature is a new function: drop the old one.
DROP FUNCTION storage_write(text[], text[], text[], text[], text[], text[], text[], text[], bigint[], text[]);
--> statement-breakpoint
CREATE OR REPLACE FUNCTION storage_write(
  p_op text[],
  p_resource text[],
  p_namespace text[],
  p_name text[],
  p_uid text[],
  p_metadata text[],
  p_labels text[],
  p_body text[],
  p_expected_rv bigint[],
  p_expected_uid text[],
  p_summary text[]
) RETURNS TABLE (r_idx integer, r_status text, r_rv bigint, r_uid text, r_metadata jsonb, r_body text, r_summary jsonb)
LANGUAGE plpgsql AS $fn$
DECLARE
  cur bigint;
  start_rv bigint;
  n integer := coalesce(array_length(p_op, 1), 0);
  o record;
  v_meta jsonb;
  v_labels jsonb;
BEGIN
  SELECT s.value INTO cur FROM storage_state s WHERE s.key = 'rv' FOR UPDATE;
  start_rv := cur;
  FOR i IN 1..n LOOP
    r_idx := i - 1; r_rv := NULL; r_uid := NULL; r_metadata := NULL; r_body := NULL; r_summary := NULL;
    IF p_op[i] = 'create' THEN
      v_meta := p_metadata[i]::jsonb;
      v_labels := p_labels[i]::jsonb;
      INSERT INTO storage_objects AS t (resource, namespace, name, uid, resource_version, labels, metadata, summary, body)
        VALUES (p_resource[i], p_namespace[i], p_name[i], p_uid[i], cur + 1, v_labels, v_meta, p_summary[i]::jsonb, p_body[i])
        ON CONFLICT DO NOTHING;
      IF NOT FOUND THEN
        SELECT t.resource_version, t.uid INTO o FROM storage_objects t
          WHERE t.resource = p_resource[i] AND t.namespace = p_namespace[i] AND t.name = p_name[i];
        r_status := 'exists'; r_rv := o.resource_version; r_uid := o.uid;
        RETURN NEXT;
        CONTINUE;
      END IF;
      cur := cur + 1;
      INSERT INTO storage_events (seq, resource, namespace, name, type, uid, metadata, labels, prev_labels, summary, body)
        VALUES (cur, p_resource[i], p_namespace[i], p_name[i], 'ADDED', p_uid[i], v_meta, v_labels, NULL, p_summary[i]::jsonb, p_body[i]);
      r_status := 'ok'; r_rv := cur; r_uid := p_uid[i];
      RETURN NEXT;

    ELSIF p_op[i] = 'update' THEN
      SELECT t.resource_version, t.uid, t.labels INTO o FROM storage_objects t
        WHERE t.resource = p_resource[i] AND t.namespace = p_namespace[i] AND t.name = p_name[i];
      IF NOT FOUND THEN
        r_status := 'notfound'; RETURN NEXT; CONTINUE;
      END IF;
      IF (p_expected_rv[i] IS NOT NULL AND p_expected_rv[i] <> o.resource_version)
         OR (coalesce(p_uid[i], '') <> '' AND p_uid[i] <> o.uid) THEN
        r_status := 'conflict'; r_rv := o.resource_version; r_uid := o.uid; RETURN NEXT; CONTINUE;
      END IF;
      IF NOT EXISTS (SELECT 1 FROM storage_events e WHERE e.seq = o.resource_version) THEN
        INSERT INTO storage_events (seq, resource, namespace, name, type, uid, metadata, labels, prev_labels, summary, body)
          SELECT t.resource_version, t.resource, t.namespace, t.name, 'MODIFIED', t.uid, t.metadata, t.labels, NULL, t.summary, t.body
          FROM storage_objects t
          WHERE t.resource = p_resource[i] AND t.namespace = p_namespace[i] AND t.name = p_name[i];
      END IF;
      cur := cur + 1;
      -- The stored uid wins (the request may carry '' to mean "keep it").
      v_meta := p_metadata[i]::jsonb || jsonb_build_object('uid', o.uid);
      v_labels := p_labels[i]::jsonb;
      UPDATE storage_objects t
        SET resource_version = cur, labels = v_labels, metadata = v_meta, summary = p_summary[i]::jsonb, body = p_body[i]
        WHERE t.resource = p_resource[i] AND t.namespace = p_namespace[i] AND t.name = p_name[i];
      INSERT INTO storage_events (seq, resource, namespace, name, type, uid, metadata, labels, prev_labels, summary, body)
        VALUES (cur, p_resource[i], p_namespace[i], p_name[i], 'MODIFIED', o.uid, v_meta, v_labels, o.labels, p_summary[i]::jsonb, p_body[i]);
      r_status := 'ok'; r_rv := cur; r_uid := o.uid;
      RETURN NEXT;

    ELSIF p_op[i] = 'delete' THEN
      SELECT t.resource_version, t.uid INTO o FROM storage_objects t
        WHERE t.resource = p_resource[i] AND t.namespace = p_namespace[i] AND t.name = p_name[i];
      IF NOT FOUND THEN
        r_status := 'notfound'; RETURN NEXT; CONTINUE;
      END IF;
      IF (p_expected_rv[i] IS NOT NULL AND p_expected_rv[i] <> o.resource_version)
         OR (p_expected_uid[i] IS NOT NULL AND p_expected_uid[i] <> o.uid) THEN
        r_status := 'conflict'; r_rv := o.resource_version; r_uid := o.uid; RETURN NEXT; CONTINUE;
      END IF;
      IF NOT EXISTS (SELECT 1 FROM storage_events e WHERE e.seq = o.resource_version) THEN
        INSERT INTO storage_events (seq, resource, namespace, name, type, uid, metadata, labels, prev_labels, summary, body)
          SELECT t.resource_version, t.resource, t.namespace, t.name, 'MODIFIED', t.uid, t.metadata, t.labels, NULL, t.summary, t.body
          FROM storage_objects t
          WHERE t.resource = p_resource[i] AND t.namespace = p_namespace[i] AND t.name = p_name[i];
      END IF;
      cur := cur + 1;
      -- DELETED carries the last state (kube semantics); labels = prev_labels = the last labels.
      INSERT INTO storage_events (seq, resource, namespace, name, type, uid, metadata, labels, prev_labels, summary, body)
        SELECT cur, t.resource, t.namespace, t.name, 'DELETED', t.uid, t.metadata, t.labels, t.labels, t.summary, t.body
        FROM storage_objects t
        WHERE t.resource = p_resource[i] AND t.namespace = p_namespace[i] AND t.name = p_name[i];
      DELETE FROM storage_objects t
        WHERE t.resource = p_resource[i] AND t.namespace = p_namespace[i] AND t.name = p_name[i]
        RETURNING t.metadata, t.body, t.summary INTO r_metadata, r_body, r_summary;
      r_status := 'ok'; r_rv := cur; r_uid := o.uid;
      RETURN NEXT;

    ELSE
      RAISE EXCEPTION 'storage_write: unknown op %', p_op[i];
    END IF;
  END LOOP;
  IF cur <> start_rv THEN
    UPDATE storage_state SET value = cur WHERE key = 'rv';
    -- A hint for every replica's watch poller; the payload is informative only (pollers read the
    -- log from their own position), so coalesced or lost notifications cost latency, not events.
    PERFORM pg_notify('storage_events', cur::text);
  END IF;
END
$fn$;
