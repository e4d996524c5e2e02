"""The partner's face: applying, and the bulk import of businesses with its reports."""
