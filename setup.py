"""The egg Scrapyd runs (scheduler.py run --scrapyd, shards.py): the Scrapy project as `scrapyd-deploy`
would package it, the spider and the archive it writes, and the agency registry as package data.

    python setup.py bdist_egg      # what shards.build_egg() runs, in a temporary directory

Scrapyd activates the egg (a zip file on sys.path) and runs `scrapy crawl nianbao` with the settings
module named by the `scrapy` entry point (scrapy.cfg's [settings] default).
"""
from setuptools import find_packages, setup

setup(
    name="nianbao",
    version="1.0",
    packages=find_packages(include=["crawler", "crawler.*", "archive", "archive.*"]),
    package_data={"crawler": ["agencies/*.yaml"], "archive": ["datasette/*.yml", "datasette/*.yaml"]},
    entry_points={"scrapy": ["settings = crawler.settings"]},
    zip_safe=True,
)
