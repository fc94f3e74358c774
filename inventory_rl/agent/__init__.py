"""The learning agent: how PPO sees the warehouse (``view``), its training env (``vec_env``), its
network (``network``), Deep Controlled Learning (``dcl``) and a trained model as a policy (``trained``)."""
