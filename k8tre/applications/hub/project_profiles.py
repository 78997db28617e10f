"""Runs inside JupyterHub's hub: each user is offered the workspace profiles of their projects only.

The program puts this module's source, followed by a call of :func:`configure`, into
``hub.extraConfig``; z2jh's ``jupyterhub_config.py`` executes it after loading
``singleuser.profileList`` into ``c.KubeSpawner.profile_list``. KubeSpawner accepts a
callable profile list and calls it with the spawner both for the spawn form and in
``load_user_options``, which refuses a requested profile the callable did not return
(kubespawner ``spawner.py``: ``load_user_options``, ``_validate_user_options``). A user's
groups are the identity provider's ``groups`` claim, synced at each login
(``GenericOAuthenticator.manage_groups``). Importing this module does nothing.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any


def configure(c: Any, profile_groups: Mapping[str, str]) -> None:
    """Filter ``c.KubeSpawner.profile_list`` by ``profile_groups`` (slug to group); refuse spawns without a project."""
    profiles = list(c.KubeSpawner.profile_list)

    def profiles_for(spawner: Any) -> list[dict[str, Any]]:
        groups = {group.name for group in spawner.user.groups}
        return [profile for profile in profiles if profile_groups.get(profile["slug"]) in groups]

    def refuse_without_project(spawner: Any) -> None:
        # No project, no workspace: never fall back to the spawner's defaults (the hub's own namespace).
        if not profiles_for(spawner):
            web = importlib.import_module("tornado.web")  # the hub's web framework, present where this runs
            raise web.HTTPError(403, "You are not a member of any project: ask an administrator to add you to one.")

    c.KubeSpawner.profile_list = profiles_for
    c.KubeSpawner.pre_spawn_hook = refuse_without_project
