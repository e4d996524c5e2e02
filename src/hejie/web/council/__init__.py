"""The council's console (消委): the dashboard and order list, the order page, the lists and the businesses."""
