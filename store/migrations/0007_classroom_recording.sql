-- A lesson's recording (录播): the content hash is in classroom_lessons.recording
-- (0006); its size and length travel with the row, so a device that has not
-- fetched the file yet can still say how big it is.
ALTER TABLE classroom_lessons ADD COLUMN recording_bytes INTEGER NOT NULL DEFAULT 0 CHECK (recording_bytes >= 0);
ALTER TABLE classroom_lessons ADD COLUMN recording_ms INTEGER NOT NULL DEFAULT 0 CHECK (recording_ms >= 0);
