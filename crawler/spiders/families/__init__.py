"""Base spiders per site family (CMS platform). An agency's spider is `class X(Family): slug = ...`."""
