"""One small spider per agency (named by its registry slug); site-family bases in families/."""
