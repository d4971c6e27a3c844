"""培训管理 (issue #14 part 5): courses, sessions, attendance, key-training proposals and effects."""
