"""The public face (no sign-in): the business directory and profiles, the black and red lists, open data."""
