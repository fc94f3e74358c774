"""The agent's network: one small MLP shared by every product (``PerProductPolicy``, an SB3
actor-critic policy), so each product's correction comes from its own feature row."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from stable_baselines3.common.policies import ActorCriticPolicy
from torch import nn


# ---------------------------------------------------------------------------- the network
class PerProductNetwork(nn.Module):
    """SB3 ``mlp_extractor``: one small MLP shared by every product for the policy, so each
    product's correction comes from its own feature row; an MLP over all rows for the value."""

    def __init__(self, n_products: int, n_features: int, hidden: int = 64):
        super().__init__()
        self.n_products, self.n_features = n_products, n_features
        self.policy_net = nn.Sequential(nn.Linear(n_features, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh())
        self.value_net = nn.Sequential(
            nn.Linear(n_products * n_features, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh()
        )
        self.latent_dim_pi = n_products * hidden
        self.latent_dim_vf = hidden

    def forward(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.forward_actor(features), self.forward_critic(features)

    def forward_actor(self, features: torch.Tensor) -> torch.Tensor:
        return self.policy_net(features.view(-1, self.n_products, self.n_features)).flatten(1)

    def forward_critic(self, features: torch.Tensor) -> torch.Tensor:
        return self.value_net(features)


class PerProductHead(nn.Module):
    """The same linear read-out for every product: latent ``(batch, n * h)`` -> ``(batch, n)``."""

    def __init__(self, n_products: int, hidden: int):
        super().__init__()
        self.n_products = n_products
        self.linear = nn.Linear(hidden, 1)
        nn.init.orthogonal_(self.linear.weight, gain=0.01)  # SB3's init for action nets: start near zero
        nn.init.zeros_(self.linear.bias)

    def forward(self, latent: torch.Tensor) -> torch.Tensor:
        return self.linear(latent.view(latent.shape[0], self.n_products, -1)).squeeze(-1)


class PerProductPolicy(ActorCriticPolicy):
    """SB3's actor-critic with the policy shared across products (``PerProductNetwork``).

    A model with this policy sees the agent's features, not the env's observation; its
    ``predict`` says how to play it on the env instead of failing with a shape error.
    """

    def __init__(self, *args: Any, net_width: int = 64, **kwargs: Any):
        self.net_width = net_width  # the shared MLP's width (tune.py searches it)
        super().__init__(*args, **kwargs)

    def _get_constructor_parameters(self) -> dict[str, Any]:
        return {**super()._get_constructor_parameters(), "net_width": self.net_width}

    def predict(self, observation: Any, *args: Any, **kwargs: Any) -> tuple[np.ndarray, Any]:
        expected = self.observation_space.shape[-1]
        found = np.shape(observation)[-1] if np.ndim(observation) else None
        if found != expected:
            raise ValueError(
                f"this model sees the agent's {expected} features, not a {found}-number observation (the env's?): "
                "play it on the env with inventory_rl.agent.trained.load_agent(path), "
                "whose act(obs, info) takes env observations"
            )
        return super().predict(observation, *args, **kwargs)

    def _build_mlp_extractor(self) -> None:
        n_products = self.action_space.shape[0]
        self.mlp_extractor = PerProductNetwork(n_products, self.features_dim // n_products, self.net_width)

    def _build(self, lr_schedule: Any) -> None:
        super()._build(lr_schedule)
        n_products = self.action_space.shape[0]
        self.action_net = PerProductHead(n_products, self.mlp_extractor.latent_dim_pi // n_products)
        self.optimizer = self.optimizer_class(self.parameters(), lr=lr_schedule(1), **self.optimizer_kwargs)
