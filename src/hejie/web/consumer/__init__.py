"""The consumer's face (phone first): filing a complaint ("我要和解")."""
