"""Sessions and their messages: the store, value types, search, projects, import and export."""
