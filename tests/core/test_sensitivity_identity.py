"""Identity 1 (docs/design.rst): s_{l,j} = <W_{l+1}[j, :], (∂E/∂W_{l+1})[j, :]> at α = 1.

In our (fan_in, fan_out) layout the outgoing weights of neuron j of layer l are row j of
W_{l+1}.  The identity follows from ∂E/∂W_{l+1} = A_lᵀ δZ_{l+1} and A_l = H_l at α = 1, so it
is an independent check on the scale gradient.
"""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from network_strategies import ACTIVATION_NAMES, problems


@settings(max_examples=40)
@given(data=st.data(), activation=st.sampled_from(ACTIVATION_NAMES))
def test_neuron_sensitivity_equals_outgoing_weight_projection(data, activation):
    net, X, Y, w = data.draw(problems(activation, random_scales=False))
    _, g = net.loss_grad(X, Y, w)
    _, s = net.scales_grad(X, Y, w)
    for l in range(len(net.layers) - 1):
        nxt = net.layers[l + 1]
        gW = g[net.param_slices[l + 1]][:nxt.W.size].reshape(nxt.W.shape)
        expected = np.einsum("jk,jk->j", nxt.W, gW)
        np.testing.assert_allclose(s[net.scale_slices[l]], expected, rtol=1e-10,
                                   atol=1e-12 * max(np.abs(expected).max(), 1e-300))
