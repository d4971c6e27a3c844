"""好差评 (government service ratings): one rating per case or per window service, from any channel."""
