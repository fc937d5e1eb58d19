"""Cardholders: the rules for creating one (`rules`); the blueprint for the pages will live here.

The blueprint lives in `views` (imported only by the app factory), so that importing `rules`, as the bulk
upload's pure-Python dry run does, does not pull in Flask and the CMS client.
"""
