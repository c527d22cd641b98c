-- Who made an entry's last edit or its delete (the token's name); NULL for
-- entries never edited, and for edits made before this column existed.
ALTER TABLE timeline_entries ADD COLUMN edited_by TEXT;
