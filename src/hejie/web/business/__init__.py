"""The business's face: joining, its own record and staff (the workbench), and its black-list appeals."""
