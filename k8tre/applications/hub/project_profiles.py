# Runs inside JupyterHub's hub as a ``hub.extraConfig`` entry (z2jh jupyterhub_config.py exec()s it after
# loading ``singleuser.profileList`` into ``c.KubeSpawner.profile_list``). The program prepends one line,
# ``K8TRE_PROFILE_GROUPS = {...}``: each profile's slug and the identity group allowed to start it.
#
# KubeSpawner accepts a callable profile list and calls it with the spawner, for the spawn form and again
# in load_user_options, which refuses a requested profile that the callable did not return (kubespawner
# spawner.py, load_user_options / _validate_user_options). The user's groups are the identity provider's
# ``groups`` claim, synced at each login (GenericOAuthenticator.manage_groups).
# ruff: noqa
# mypy: ignore-errors

_k8tre_all_profiles = list(c.KubeSpawner.profile_list)  # noqa: F821 - `c` is the hub's config object


def _k8tre_profiles_for(spawner):
    """The profiles of the projects the user is a member of, and no others."""
    groups = {group.name for group in spawner.user.groups}
    return [profile for profile in _k8tre_all_profiles if K8TRE_PROFILE_GROUPS.get(profile["slug"]) in groups]  # noqa: F821


def _k8tre_refuse_without_project(spawner):
    """No project, no workspace: never fall back to the spawner's defaults (the hub's own namespace)."""
    if not _k8tre_profiles_for(spawner):
        from tornado import web

        raise web.HTTPError(403, "You are not a member of any project: ask an administrator to add you to one.")


c.KubeSpawner.profile_list = _k8tre_profiles_for  # noqa: F821
c.KubeSpawner.pre_spawn_hook = _k8tre_refuse_without_project  # noqa: F821
