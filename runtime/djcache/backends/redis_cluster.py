"""A Django cache backend for Redis Cluster (Django's RedisCache speaks to one node only).

    CACHES = {"default": {"BACKEND": "djcache.backends.redis_cluster.RedisClusterCache",
                          "LOCATION": "redis://127.0.0.1:7000"}}

Multi-key calls are split per hash slot (``mget_nonatomic``/``mset_nonatomic``); djcache
itself only uses single-key calls and get_many/set_many.
"""
from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class RedisClusterCacheClient(RedisCacheClient):
    # set by RedisCacheClient.__init__; private there, so the stubs do not declare them
    _servers: list[str]
    _pool_options: dict[str, Any]
    _serializer: Any

    def __init__(self, servers, **options):
        super().__init__(servers, **options)
        from redis.cluster import RedisCluster
        self._cluster_cls = RedisCluster
        self._cluster = None

    def get_client(self, key=None, *, write=False):
        if self._cluster is None:
            kwargs = dict(self._pool_options)
            kwargs.pop("parser_class", None)
            self._cluster = self._cluster_cls.from_url(self._servers[0], **kwargs)
        return self._cluster

    def get_many(self, keys):
        client = self.get_client(None)
        values = client.mget_nonatomic(keys)
        pairs = zip(keys, values, strict=True)
        return {k: self._serializer.loads(v) for k, v in pairs if v is not None}

    def set_many(self, data, timeout):
        client = self.get_client(None, write=True)
        pipe = client.pipeline()
        for key, value in data.items():
            value = self._serializer.dumps(value)
            if timeout == 0:
                pipe.delete(key)
            elif timeout is None:
                pipe.set(key, value)
            else:
                pipe.set(key, value, ex=timeout)
        pipe.execute()

    def delete_many(self, keys):
        client = self.get_client(None, write=True)
        return sum(client.delete(k) for k in keys)

    def clear(self):
        from redis.cluster import RedisCluster
        client = self.get_client(None, write=True)
        return bool(client.flushdb(target_nodes=RedisCluster.PRIMARIES))


class RedisClusterCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisClusterCacheClient
