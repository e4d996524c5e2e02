"""Small local servers that speak the providers' documented protocols (SMS, WeChat, SMTP), started
by the tests so the real adapter code, the SDKs and the HTTP stack all run."""
