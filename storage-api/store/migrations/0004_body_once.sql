-- Group commit, shorter serialised section (custom migration).
--
-- 1. A write stores the body ONCE. The event of an object's CURRENT version (ADDED/MODIFIED) has
--    body NULL: the body is in storage_objects. When an update or delete supersedes that version,
--    the same transaction first copies the old body into the old event (or re-inserts the event
--    if compaction removed it, as before). Readers of event bodies take
--    coalesce(event.body, objects.body where objects.resource_version = event.seq): within one
--    statement snapshot either the superseding write committed (the event has its body) or it did
--    not (the object row still is that version). Snapshot lists only read event bodies of
--    superseded versions, which always carry them. DELETED events keep their copy of the last state.
-- 2. JSON parsing (metadata, labels, summary) happens before the rv row lock is taken: the lock
--    is held only for the inserts, so one replica's next batch parses while the previous commits.
-- 3. Bodies are TOAST-compressed with lz4 where the server supports it (much cheaper than pglz
--    under the lock; PGlite and builds without lz4 keep pglz).
DO $$
BEGIN
  ALTER TABLE storage_objects ALTER COLUMN body SET COMPRESSION lz4;
  ALTER TABLE storage_events ALTER COLUMN body SET COMPRESSION lz4;
EXCEPTION WHEN OTHERS THEN
  RAISE NOTICE 'lz4 TOAST compression unavailable, keeping the default: %', SQLERRM;
END
$$;
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
  -- Parsed here, in the DECLARE section: before the lock below.
  j_meta jsonb[] := p_metadata::jsonb[];
  j_labels jsonb[] := p_labels::jsonb[];
  j_summary jsonb[] := p_summary::jsonb[];
BEGIN
  SELECT s.value INTO cur FROM storage_state s WHERE s.key = 'rv' FOR UPDATE;
  start_rv := cur;
  FOR i IN 1..n LOOP
    r_idx := i - 1; r_rv := NULL; r_uid := NULL; r_metadata := NULL; r_body := NULL; r_summary := NULL;
    IF p_op[i] = 'create' THEN
      v_meta := j_meta[i];
      v_labels := j_labels[i];
      INSERT INTO storage_objects AS t (resource, namespace, name, uid, resource_version, labels, metadata, summary, body)
        VALUES (p_resource[i], p_namespace[i], p_name[i], p_uid[i], cur + 1, v_labels, v_meta, j_summary[i], p_body[i])
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
        VALUES (cur, p_resource[i], p_namespace[i], p_name[i], 'ADDED', p_uid[i], v_meta, v_labels, NULL, j_summary[i], NULL);
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
      -- The version being superseded: its event gets the body (it was in storage_objects only),
      -- or comes back into the log when compaction removed it.
      UPDATE storage_events e SET body = t.body
        FROM storage_objects t
       WHERE e.seq = o.resource_version AND e.body IS NULL
         AND t.resource = p_resource[i] AND t.namespace = p_namespace[i] AND t.name = p_name[i];
      IF NOT FOUND AND NOT EXISTS (SELECT 1 FROM storage_events e WHERE e.seq = o.resource_version) THEN
        INSERT INTO storage_events (seq, resource, namespace, name, type, uid, metadata, labels, prev_labels, summary, body)
          SELECT t.resource_version, t.resource, t.namespace, t.name, 'MODIFIED', t.uid, t.metadata, t.labels, NULL, t.summary, t.body
          FROM storage_objects t
          WHERE t.resource = p_resource[i] AND t.namespace = p_namespace[i] AND t.name = p_name[i];
      END IF;
      cur := cur + 1;
      -- The stored uid wins (the request may carry '' to mean "keep it").
      v_meta := j_meta[i] || jsonb_build_object('uid', o.uid);
      v_labels := j_labels[i];
      UPDATE storage_objects t
        SET resource_version = cur, labels = v_labels, metadata = v_meta, summary = j_summary[i], body = p_body[i]
        WHERE t.resource = p_resource[i] AND t.namespace = p_namespace[i] AND t.name = p_name[i];
      INSERT INTO storage_events (seq, resource, namespace, name, type, uid, metadata, labels, prev_labels, summary, body)
        VALUES (cur, p_resource[i], p_namespace[i], p_name[i], 'MODIFIED', o.uid, v_meta, v_labels, o.labels, j_summary[i], NULL);
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
      -- The version being superseded: its event gets the body (it was in storage_objects only),
      -- or comes back into the log when compaction removed it.
      UPDATE storage_events e SET body = t.body
        FROM storage_objects t
       WHERE e.seq = o.resource_version AND e.body IS NULL
         AND t.resource = p_resource[i] AND t.namespace = p_namespace[i] AND t.name = p_name[i];
      IF NOT FOUND AND NOT EXISTS (SELECT 1 FROM storage_events e WHERE e.seq = o.resource_version) THEN
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
