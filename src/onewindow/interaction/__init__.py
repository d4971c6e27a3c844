"""互动交流管理 (issue #14 part 7): online Q&A, the FAQ and frequent-question mining."""
